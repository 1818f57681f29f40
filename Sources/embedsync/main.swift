print("embedsync")
