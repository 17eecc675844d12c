"""moto's server, single-threaded.

moto's DynamoDB applies a conditional write in several steps without a lock, so under the default threaded
server concurrent guarded updates can overbook (measured: ~1 in 50 rounds of 50 threads). Served by one thread,
requests still arrive concurrently and queue, but each is applied whole: the atomicity DynamoDB guarantees.
Usage: python moto_single.py PORT
"""
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

port = int(sys.argv[1])
app = DomainDispatcherApplication(create_backend_app)
run_simple("127.0.0.1", port, app, threaded=False, processes=1, use_reloader=False, use_debugger=False)
