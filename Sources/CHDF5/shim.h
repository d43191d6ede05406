// Debian keeps the serial HDF5 headers out of the default include path; the quoted includes
// inside hdf5.h resolve relative to it.
#include <hdf5/serial/hdf5.h>
