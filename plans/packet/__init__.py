"""The filing packet: PacketData (data.py) rendered as PDF (pdf.py) and .docx (docx.py)."""
