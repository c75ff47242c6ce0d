"""2. Storage: where original PDFs are kept (MEDIA_ROOT, or Cloudinary) and how a job or
its owner gets one back."""
