"""What every ecowire service shares: settings, logging, metrics, the Kafka stage shell."""
