"""Shared plumbing that is not the organisation: the structured domain error
(`core.errors`), the API kit (`core.api`, `core.serializers`, `core.filters`), the access
helper (`core.permissions`), the import pipeline (`core.imports`, `core.forms`) and
spreadsheet writing (`core.spreadsheets`), the one history reader and the audit marker
(`core.history`), text rules (`core.text`) and the view helpers (`core.views`). Every app
may import `core`; `core` imports no app."""
