#!/bin/bash
echo "1..0"
exit 1
