"""Applications built on the trained models (lessons 05 and 06): above models/, below the course
machinery and the commands. Each imports the foundation and models/ only."""
