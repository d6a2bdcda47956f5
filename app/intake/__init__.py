"""What comes into I2I from elsewhere: alerts, other systems' incident records and notes,
JSON Lines exchange, bulk writes for all of these, and the simulated demo organisation.

Each source has its module (`alerts`, `servicenow`, `statuspage`, `incidents_jsonl`,
`notes_jsonl`); `bulk` writes many notes as posting one would; `records` writes batches of
incident records; `files` reads input files within bounds; `simulate` generates the demo
world as plain data (no Flask, no database) and `demo` stores it.
"""
