print("router")
