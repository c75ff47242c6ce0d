"""Where original PDFs are kept: MEDIA_ROOT by default; Cloudinary when CLOUDINARY_URL is
set, so Celery workers on other machines can read them without a shared disk."""

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import cloudinary
import cloudinary.api
import cloudinary.exceptions
import cloudinary.uploader
import cloudinary.utils
import urllib3
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db.models.fields.files import FieldFile

from audiobooks.errors import BookError, ErrorCode

# Signed download links handed to the owner live this long.
SIGNED_URL_SECONDS = 600


class PdfStorageError(Exception):
    """The PDF could not be stored or read back."""


class CloudinaryPdfStorage(Storage):
    """PDFs as raw, private Cloudinary resources: not listed publicly, and every URL to one
    is signed and expires. The SDK reads its account from CLOUDINARY_URL."""

    resource = {"resource_type": "raw", "type": "private"}

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # Names are random (uuid4), and overwrite=False makes Cloudinary refuse a clash: no
        # need to spend an Admin API call (they are rate-limited) asking first.
        return name

    def _save(self, name: str, content: File) -> str:
        content.seek(0)
        try:
            result = cloudinary.uploader.upload(
                content, public_id=name, overwrite=False, unique_filename=False, **self.resource
            )
        except (cloudinary.exceptions.Error, urllib3.exceptions.HTTPError) as exc:
            raise PdfStorageError(f"Cloudinary refused the upload: {exc}") from exc
        return result["public_id"]

    def _open(self, name: str, mode: str = "rb") -> File:
        copy = tempfile.TemporaryFile()
        try:
            response = urllib3.request("GET", self.url(name), preload_content=False, timeout=60)
            if response.status != 200:
                raise PdfStorageError(f"Cloudinary answered {response.status} for {name}")
            shutil.copyfileobj(response, copy)
        except urllib3.exceptions.HTTPError as exc:
            copy.close()
            raise PdfStorageError(f"Cloudinary could not be reached: {exc}") from exc
        copy.seek(0)
        return File(copy, name=name)

    def exists(self, name: str) -> bool:
        try:
            cloudinary.api.resource(name, **self.resource)
        except cloudinary.exceptions.NotFound:
            return False
        return True

    def delete(self, name: str) -> None:
        cloudinary.uploader.destroy(name, invalidate=True, **self.resource)

    def url(self, name: str) -> str:
        return cloudinary.utils.private_download_url(
            name, "", expires_at=int(time.time()) + SIGNED_URL_SECONDS, **self.resource
        )


def pdf_storage() -> Storage:
    """The books' storage, chosen once from the settings (FileField calls this)."""
    return CloudinaryPdfStorage() if settings.CLOUDINARY_URL else default_storage


def is_on_local_disk(pdf: FieldFile) -> bool:
    try:
        return bool(pdf.path)
    except NotImplementedError:  # a remote storage has no paths
        return False


@contextmanager
def local_path(pdf: FieldFile) -> Iterator[str]:
    """A path to the PDF on this machine: its own on local storage, else a temporary copy."""
    if is_on_local_disk(pdf):
        yield pdf.path
        return
    with tempfile.NamedTemporaryFile(suffix=".pdf") as copy, pdf.open("rb") as source:
        shutil.copyfileobj(source, copy)
        copy.flush()
        yield copy.name


@dataclass(frozen=True)
class PdfDownload:
    """How the owner gets the original: the file itself, or a signed link to follow."""

    file: File | None = None
    redirect_url: str = ""


def pdf_download(*, pdf: FieldFile) -> PdfDownload:
    """The stored original for its owner: from local storage the file, from Cloudinary a
    signed link that expires (SIGNED_URL_SECONDS)."""
    if not is_on_local_disk(pdf):
        return PdfDownload(redirect_url=pdf.url)
    if not pdf.storage.exists(pdf.name):
        raise BookError(ErrorCode.FILE_MISSING, "File missing", "The original PDF is no longer stored.")
    return PdfDownload(file=pdf.open("rb"))
