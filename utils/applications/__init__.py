"""Applications built on the models (lessons 05 to 08): above models/, below the course
machinery and the commands. Each imports the foundation, models/ and, where it builds on one,
another application (the detector's fakes come from `generate`)."""
