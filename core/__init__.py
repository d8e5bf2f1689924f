"""Shared plumbing that is not the organisation: the domain error, the API kit, the
access helper, uploads and spreadsheets, and view helpers. Every app may import `core`;
`core` imports no app."""
