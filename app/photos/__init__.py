"""Photo evidence (issue 5 §6–§8).

Pure building blocks, wired to the database and HTTP elsewhere:

- ``metadata``   PURE: dataclasses (``OriginalInfo``, ``GpsFix``) and EXIF value parsing
                 (DMS → decimal degrees, EXIF date strings). No PIL.
- ``processing`` the ONLY module importing PIL / pillow_heif: content sniffing with an
                 allow-list, cheap metadata read, derivatives, watermarked copy.
- ``evidence``   PURE: evidence flags shown to supervisors (never block an upload).
- ``storage``    ``PhotoStore`` protocol + ``FilesystemPhotoStore`` (content-addressed,
                 write-once originals; atomic temp → fsync → rename → fsync dir).
- ``errors``     the photo error vocabulary (``app.errors.AppError`` subclasses).
"""
