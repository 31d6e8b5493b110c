"""The course machinery: exercise checkers (an engine and one file per lesson) and the lesson generator."""
