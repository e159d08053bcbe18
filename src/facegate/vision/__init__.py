"""One model per module: detection, dense landmarks, identity templates."""

import os

# MediaPipe's C++ side logs through glog; keep its informational chatter out of our logs.
os.environ.setdefault("GLOG_minloglevel", "2")
