from shadowdiff.cli import run

run()
