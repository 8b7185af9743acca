import Hummingbird
print("serve")
