## CMocka unit tests for plugin/
