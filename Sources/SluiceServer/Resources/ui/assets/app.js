// Sluice web UI
