# The gateway's handling of client messages: protocol parser + fan-out hub.
spacetime_fuzzer(client_message_fuzz client_message_fuzz.cpp spacetime_gateway)
