"""Programme activities (hoạt động): directives, communication, materials and training."""
