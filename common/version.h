/* version: the electricd release, reported by electricd and electricctl. */
#ifndef ELECTRICD_VERSION_H
#define ELECTRICD_VERSION_H
#define ELECTRICD_VERSION "0.1.0"
#endif
