import sys, importlib
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
import nb
parts = sys.argv[2:] if len(sys.argv) > 2 else ["part1", "part2", "part2b", "part3", "part3b", "part4", "part4b", "part5", "part6", "part7"]
for p in parts:
    importlib.import_module(p)
nb.write(sys.argv[1])
print(len(nb.CELLS), "cells")
