"""Speech denoisers: registered methods of the `enhance` task."""
