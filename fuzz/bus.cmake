# The bus's event codec: batches from Redis (another process) and from the recorder's spool.
spacetime_fuzzer(event_codec_fuzz event_codec_fuzz.cpp spacetime_bus spacetime_bus_redis)
