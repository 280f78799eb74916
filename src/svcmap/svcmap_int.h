/* SPDX-License-Identifier: MIT */
/* svcmap_int.h -- private declarations shared by the service map's files. */
#pragma once

#include <stdio.h>

#include "svcmap/svcmap.h"

/* Return true when type is one of SVCMAP_EDGE_TYPES. */
bool svcmap_is_edge_type(const char *type);
/* Return true when kind is a node kind (container, network, port, volume). */
bool svcmap_is_node_kind(const char *kind);
