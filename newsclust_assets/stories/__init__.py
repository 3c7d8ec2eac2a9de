"""Stories over time: ids carried across days, the registry, the timeline."""
