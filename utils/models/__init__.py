"""The course's models, one file per family. Each imports only the foundation of `utils` and, where
it builds on one, an earlier family (VideoGPT on the VQ-VAE, flow matching on its autoencoder)."""
