#!/bin/sh
echo "report from $(hostname)"
