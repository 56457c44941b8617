#include "CMeshShim.h"
