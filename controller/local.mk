## controller/: HTTP layer of telemed-controller (owner: controller HTTP work)
