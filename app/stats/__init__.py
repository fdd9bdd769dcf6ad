"""Statistics: rollups kept current by the job queue, and the supervisors' figures read from them."""
