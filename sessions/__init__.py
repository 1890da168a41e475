"""The event-log core of caseroom: commands decide events, events fold into state."""
