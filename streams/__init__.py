"""Transport: the relay from the event store's notification log to Kafka (CloudEvents with
public, PII-free contracts and JSON Schemas), the faust workers that drive the projections
from Kafka, and the helper downstream consumers use. Imports projections and domain only;
infra wires it to the store and the CLI."""
