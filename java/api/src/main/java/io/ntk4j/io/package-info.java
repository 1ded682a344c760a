/**
 * Files in and out: strict .npy reading and writing, model directories (model.json + weights),
 * PyTorch state dicts (.safetensors, .npz) in PyTorch's names, and the batch/time order of
 * sequence arrays. Malformed files are refused with the file and the problem named.
 */
package io.ntk4j.io;
