"""Photo evidence: one use case per module.

Pure building blocks:

- ``metadata``   PURE: dataclasses (``OriginalInfo``, ``GpsFix``) and EXIF value parsing
                 (DMS → decimal degrees, EXIF date strings). No PIL.
- ``processing`` the ONLY module importing PIL / pillow_heif: content sniffing with an
                 allow-list, cheap metadata read, derivatives, watermarked copy.
- ``evidence``   PURE: evidence flags shown to supervisors (never block an upload).
- ``errors``     the photo error vocabulary (``app.errors.AppError`` subclasses).

Storage (no Flask, no SQLAlchemy, no PIL):

- ``files``      hashing, name checks, fsync helpers, verified receive into a temp file.
- ``spool``      ``LocalSpool``: temp files and resumable partials on local disk.
- ``storage``    ``PhotoStore`` protocol + ``FilesystemPhotoStore`` (content-addressed,
                 write-once originals; atomic temp → fsync → rename → fsync dir).
- ``s3``         ``S3PhotoStore``; ``stores`` builds the configured store.

Use cases (take a ``Session`` and a ``PhotoStore``, never commit):

- ``access``       who may view a photo; narrowing its scope.
- ``upload``       idempotent PUT by content hash and resumable uploads.
- ``derivatives``  display image and thumbnail (worker and on demand).
- ``notice``       watermark lines and the notice copy.
- ``gc``           orphan files, missing originals, crash leftovers.
- ``view``         the evidence flags a viewer may see (``schemas.PhotoOut`` carries them).
"""
