"""Errors raised by the photo modules; stable codes, bilingual messages.

Status choices:

- ``unsupported_image_format`` → **422**, not 415. We never trust the request's
  ``Content-Type`` or the file name: the format is sniffed from the
  bytes. 415 describes a request whose declared media type the server refuses; here
  the body is a well-formed upload whose *content* turns out not to be an allowed
  image, which is a semantic problem with the entity → 422. (The HTTP layer may still
  answer 415 ``unsupported_media_type`` for a Content-Type that is not ``image/*`` or
  ``application/octet-stream``; that is the foundation's error, not this one.)
- ``image_too_many_pixels`` → 422 (decompression bomb).
- ``image_undecodable`` → 422 (truncated / corrupt data; Pillow cannot decode it, or the decoder
  failed in any unexpected way: the bytes will not get better by sending them again).
- ``image_truncated`` → 422 (a JPEG whose scan data stops short and is then closed with an end
  marker: it would decode with a grey band. Only a decode finds it, so the derivatives job reports
  it as the photo's ``derivatives.error_code`` and makes no derivative of it; a JPEG whose bytes simply
  stop before the end marker is refused at upload as ``image_undecodable``, from its structure).
- ``upload_quota_exceeded`` → 429 (too many open resumable uploads for this user, or too many bytes
  parked in them; the body names the ``limit``, its value and the current usage; finishing or
  expiring partials frees it, hence 429 and not 413: the photo itself is within the size limit).
- ``payload_too_large`` → 413 (reuses ``app.errors.PayloadTooLarge``).
- ``checksum_mismatch`` → 422 (client SHA-256 does not match the bytes received).
- ``upload_offset_mismatch`` → 409 (resumable upload chunk at the wrong offset; the
  problem body carries ``current_offset`` so the phone can resume).
- ``stored_original_corrupt`` → 500 (bytes already stored under a hash do not hash to
  it: disk corruption or tampering; never silently overwritten).
"""

from __future__ import annotations

from app.errors import AppError, Conflict, PayloadTooLarge

__all__ = [
    "ChecksumMismatch",
    "ImageTooManyPixels",
    "ImageTruncated",
    "ImageUndecodable",
    "PayloadTooLarge",
    "StoredOriginalCorrupt",
    "UnsupportedImageFormat",
    "UploadOffsetMismatch",
    "UploadQuotaExceeded",
]


class UnsupportedImageFormat(AppError):
    status = 422
    code = "unsupported_image_format"
    title_zh = "不支持的图片格式（仅支持 JPEG、PNG、WebP、HEIC）"
    title_en = "Unsupported image format (JPEG, PNG, WebP, HEIC only)"


class ImageTooManyPixels(AppError):
    status = 422
    code = "image_too_many_pixels"
    title_zh = "图片像素数超过上限（疑似解压炸弹）"
    title_en = "Image has too many pixels (possible decompression bomb)"


class ImageUndecodable(AppError):
    status = 422
    code = "image_undecodable"
    title_zh = "图片已损坏或不完整，无法解码"
    title_en = "Image is corrupt or truncated and cannot be decoded"


class ImageTruncated(ImageUndecodable):
    # A subclass: every place that treats undecodable bytes as permanent treats these alike.
    status = 422
    code = "image_truncated"
    title_zh = "图片数据不完整（被截断），请重新上传原始文件"
    title_en = "Image data is incomplete (truncated); upload the original file again"


class UploadQuotaExceeded(AppError):
    status = 429
    code = "upload_quota_exceeded"
    title_zh = "未完成的分段上传过多，请先完成或放弃已有的上传"
    title_en = "Too many unfinished resumable uploads; finish or abandon some first"


class ChecksumMismatch(AppError):
    status = 422
    code = "checksum_mismatch"
    title_zh = "SHA-256 校验值与上传内容不符"
    title_en = "SHA-256 checksum does not match the uploaded bytes"


class UploadOffsetMismatch(Conflict):
    status = 409
    code = "upload_offset_mismatch"
    title_zh = "分段上传的偏移量与服务器已接收的长度不一致"
    title_en = "Upload offset does not match the bytes already received"


class StoredOriginalCorrupt(AppError):
    status = 500
    code = "stored_original_corrupt"
    title_zh = "已存储的原始照片校验失败"
    title_en = "A stored original photo failed its integrity check"
