"""The forms every app shares."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from core.imports import too_large_message


class ImportUploadForm(forms.Form):
    """The file of an import page, refused above `max_bytes` (each import names its own
    limit, a setting of its app). An import with more to choose adds its fields in a
    subclass."""

    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("A CSV file (UTF-8) or an XLSX workbook (the first sheet)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, max_bytes: int, help_text=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        if help_text is not None:
            self.fields["file"].help_text = help_text

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = self.max_bytes
        if upload.size > limit:
            raise forms.ValidationError(too_large_message(limit))
        return upload
