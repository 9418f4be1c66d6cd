"""Commander analyses: incidents, nearest/within, surroundings, geodesic buffers, hazard zones."""
