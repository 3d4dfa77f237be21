## CMocka unit tests for controller/
