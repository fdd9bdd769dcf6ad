"""The inspector app: an offline-first web app on the phone, served under /app/ over the capture API."""
