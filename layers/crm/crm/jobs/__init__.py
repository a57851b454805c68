"""Jobs on site: job types, resources and vehicles, jobs with gapless references, status changes,
SLAs, the site's job log and the tablet view."""
