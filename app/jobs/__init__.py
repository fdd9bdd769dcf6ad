"""Background jobs on a PostgreSQL-backed queue (procrastinate): no extra server, any number of workers.

``queue`` holds the queue object and how to defer in a caller's transaction; ``tasks`` the queue's own
upkeep (stalled jobs); ``errors`` the record of failed attempts; ``cli`` ``flask jobs …``. Feature jobs
live with their feature (``app.photos.tasks``).
"""
