"""The local stack: template.yaml's resources on moto, its API on chalice.local, its schedules."""
