// Registers every dump format probe with the detector. Order matters only for overlapping magics.
export {};
