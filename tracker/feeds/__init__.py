"""Feed collection: fetch, parse, sanitise, store and tag news items."""
