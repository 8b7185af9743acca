// Placeholder; replaced by the real entry point.
print("ingest")
