## CMocka unit tests for common/
