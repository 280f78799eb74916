/* SPDX-License-Identifier: MIT */
/* main.c -- argv -> app_main(); nothing else. */
#include "app/app.h"

int main(int argc, char **argv)
{
    return app_main(argc, argv);
}
