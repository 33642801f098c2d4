import PatchTrain
print("patchtrain-bench: no benchmarks yet")
