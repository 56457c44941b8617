#ifndef CMESHSHIM_H
#define CMESHSHIM_H
// Small C helpers for what Swift cannot express directly: variadic ioctl and
// the struct ifreq unions. Every function is prefixed `cmesh_`.
#endif
