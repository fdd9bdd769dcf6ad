"""The supervisor's review queue: inspections to decide on, riskiest first, each score explained."""
