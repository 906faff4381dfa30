"""The Langfuse application tier: web, worker, database migrations, and the Route in front of web."""
